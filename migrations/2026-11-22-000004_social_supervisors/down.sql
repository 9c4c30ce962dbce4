DROP TABLE IF EXISTS access_log, observations, social_conflict_declarations, social_assignments,
    social_supervisor_appointments;
