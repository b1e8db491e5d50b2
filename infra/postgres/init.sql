-- One database per component; run once by the postgres image on first start.
CREATE DATABASE gateway;
CREATE DATABASE booking;
CREATE DATABASE relay;
CREATE DATABASE grocery;
CREATE DATABASE housing;
\connect booking
CREATE EXTENSION IF NOT EXISTS btree_gist;
