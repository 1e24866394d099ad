-- Device models, devices, firmware versions and core dumps.
-- Times are ISO-8601 UTC strings with milliseconds (sortable as text).
-- D1 enforces foreign keys: a model's current version must be one of its stored versions,
-- and a model with devices cannot be deleted.

CREATE TABLE device_models (
  code TEXT PRIMARY KEY NOT NULL CHECK (length(code) BETWEEN 1 AND 50 AND code NOT GLOB '*[^a-z0-9_]*'),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  chip TEXT,
  current_version TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  FOREIGN KEY (code, current_version) REFERENCES firmware_versions (model_code, version)
);

CREATE TABLE devices (
  key TEXT PRIMARY KEY NOT NULL CHECK (length(key) = 8 AND key NOT GLOB '*[^a-z0-9]*'),
  model_code TEXT NOT NULL REFERENCES device_models (code),
  name TEXT,
  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  last_coredump_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX devices_model_code ON devices (model_code, key);

CREATE TABLE firmware_versions (
  model_code TEXT NOT NULL REFERENCES device_models (code) ON DELETE CASCADE,
  version TEXT NOT NULL,
  format TEXT NOT NULL CHECK (format IN ('zip', 'bin')),
  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
  -- What a device running this image reports from esp_partition_get_sha256().
  partition_sha256 TEXT NOT NULL CHECK (length(partition_sha256) = 64),
  size INTEGER NOT NULL CHECK (size > 0),
  chip TEXT NOT NULL,
  project_name TEXT NOT NULL,
  idf_version TEXT NOT NULL,
  secure_version INTEGER NOT NULL,
  elf_sha256 TEXT,
  git_commit TEXT,
  version_json TEXT,
  image_key TEXT NOT NULL,
  bundle_key TEXT,
  bundle_size INTEGER,
  uploaded_at TEXT NOT NULL,
  PRIMARY KEY (model_code, version)
);
CREATE INDEX firmware_versions_uploaded ON firmware_versions (model_code, uploaded_at);
CREATE INDEX firmware_versions_sha256 ON firmware_versions (model_code, sha256);

CREATE TABLE coredumps (
  id TEXT PRIMARY KEY NOT NULL,
  device_key TEXT NOT NULL REFERENCES devices (key) ON DELETE CASCADE,
  model_code TEXT NOT NULL,
  filename TEXT NOT NULL UNIQUE,
  object_key TEXT NOT NULL UNIQUE,
  chip TEXT NOT NULL,
  firmware_version TEXT NOT NULL,
  size INTEGER NOT NULL CHECK (size > 0),
  sha256 TEXT NOT NULL,
  uploaded_at TEXT NOT NULL
);
CREATE INDEX coredumps_device_uploaded ON coredumps (device_key, uploaded_at, id);
