DROP TABLE IF EXISTS mail_subscriptions;
DROP TABLE IF EXISTS mails;
