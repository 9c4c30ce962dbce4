DROP TABLE IF EXISTS complaint_decisions, complaint_acceptances, complaints, venue_bookings, venues;
