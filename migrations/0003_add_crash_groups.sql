-- Crash groups (SPEC §11). One membership row per analysed dump, kept when the dump's bytes and
-- row are removed (retention, a device delete), so a group's history survives; the group rows
-- hold the counts, maintained in the same D1 batch as the membership they count.

CREATE TABLE crash_memberships (
  coredump_id TEXT PRIMARY KEY NOT NULL,
  model_code TEXT NOT NULL REFERENCES device_models (code) ON DELETE CASCADE,
  -- NULL when the analysis failed: the crash counts for its device and version, in no group.
  signature TEXT,
  device_key TEXT NOT NULL,
  firmware_version TEXT NOT NULL,
  -- When the dump was uploaded.
  seen_at TEXT NOT NULL
);
CREATE INDEX crash_memberships_group ON crash_memberships (model_code, signature, seen_at);
CREATE INDEX crash_memberships_device ON crash_memberships (model_code, signature, device_key);
CREATE INDEX crash_memberships_version ON crash_memberships (model_code, firmware_version, device_key);

CREATE TABLE crash_groups (
  model_code TEXT NOT NULL REFERENCES device_models (code) ON DELETE CASCADE,
  signature TEXT NOT NULL,
  title TEXT NOT NULL,
  -- abort, assert or exception
  kind TEXT NOT NULL,
  -- JSON: the exception of the first dump, and the frames the signature is made of
  exception TEXT,
  frames TEXT NOT NULL,
  -- 0 for a group of unsymbolized dumps (grouped by PCs until their ELF arrives)
  symbolized INTEGER NOT NULL CHECK (symbolized IN (0, 1)),
  count INTEGER NOT NULL DEFAULT 0,
  device_count INTEGER NOT NULL DEFAULT 0,
  -- JSON array of versions
  firmware_versions TEXT NOT NULL DEFAULT '[]',
  first_seen TEXT,
  last_seen TEXT,
  latest_coredump_id TEXT,
  latest_device_key TEXT,
  created_at TEXT NOT NULL,
  -- Set once the new group's MQTT message was claimed: one message per group.
  notified_at TEXT,
  -- Set within an analysis batch on the group a dump leaves, so its counts are recomputed.
  dirty INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (model_code, signature)
);
CREATE INDEX crash_groups_last_seen ON crash_groups (model_code, last_seen);
