"""Numbered schema migrations: `NNNN_<what>.sql` upgrades version NNNN-1 to NNNN.

None exist yet: schema.sql is version 1. To change the schema, add `0002_<what>.sql` here, make
schema.sql equal to version 1 plus that migration, keep the version-1 database in
tests/assets/store/ (test_store_schema.py upgrades it), and never edit a released migration.
All pending migrations run in one IMMEDIATE transaction with foreign keys on, so a table rebuild
should start with `PRAGMA defer_foreign_keys = ON;`. This folder is a package only so that the
.sql files ship in the wheel.
"""
