-- Device reports, staged rollouts and the crash guard (SPEC §13).

-- What each device last said about itself, and the version an operator pinned it to.
-- pinned_version always names a stored version of the device's model: pinning checks it, and a
-- pinned version can be neither deleted nor pruned (the statements that remove versions say so).
ALTER TABLE devices ADD COLUMN pinned_version TEXT;
ALTER TABLE devices ADD COLUMN reported_version TEXT;
ALTER TABLE devices ADD COLUMN reported_state TEXT
  CHECK (reported_state IN ('running', 'downloading', 'installing', 'failed', 'rolled_back'));
ALTER TABLE devices ADD COLUMN reported_error TEXT;
ALTER TABLE devices ADD COLUMN reported_at TEXT;
-- Written at most once per device per few minutes (see the README), not per request.
ALTER TABLE devices ADD COLUMN last_seen_at TEXT;
CREATE INDEX devices_model_reported ON devices (model_code, reported_version, reported_state);

-- A rollout takes a model from its current version (baseline_version) to a stored version.
-- `revision` grows with every change: each change is applied only to the revision it read, so
-- two operators (or an operator and the scheduled run) never overwrite each other.
CREATE TABLE rollouts (
  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 16 AND id NOT GLOB '*[^0-9a-f]*'),
  model_code TEXT NOT NULL REFERENCES device_models (code) ON DELETE CASCADE,
  version TEXT NOT NULL,
  baseline_version TEXT,
  percent REAL NOT NULL CHECK (percent >= 0 AND percent <= 100),
  state TEXT NOT NULL CHECK (state IN ('active', 'paused', 'halted', 'completed', 'aborted')),
  -- JSON [{"percent","after_minutes"}]; step_index is the next one to apply, due
  -- after_minutes after step_started_at (the start, the last step, or a resume).
  steps TEXT NOT NULL DEFAULT '[]',
  step_index INTEGER NOT NULL DEFAULT 0,
  step_started_at TEXT NOT NULL,
  -- JSON {"max_crash_rate","max_failure_rate"?,"min_devices"} or NULL.
  guard TEXT,
  -- JSON: which rule halted the rollout, and the figures.
  halted_reason TEXT,
  -- Devices served the target when the rollout closed (an open one is counted live).
  devices_targeted INTEGER,
  revision INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
-- At most one open rollout per model, whatever races.
CREATE UNIQUE INDEX rollouts_one_open ON rollouts (model_code)
  WHERE state IN ('active', 'paused', 'halted');
CREATE INDEX rollouts_model_created ON rollouts (model_code, created_at);

-- Every change of a rollout: who did what, from which percentage and state to which.
CREATE TABLE rollout_events (
  rollout_id TEXT NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
  revision INTEGER NOT NULL,
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  percent REAL NOT NULL,
  state TEXT NOT NULL,
  details TEXT,
  at TEXT NOT NULL,
  PRIMARY KEY (rollout_id, revision)
);

-- Devices that reported `failed` or `rolled_back` for a rollout's version while it was open:
-- the crash guard's failure rate. Kept apart from the device row, which the next report
-- overwrites.
CREATE TABLE rollout_failures (
  rollout_id TEXT NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
  device_key TEXT NOT NULL REFERENCES devices (key) ON DELETE CASCADE,
  state TEXT NOT NULL CHECK (state IN ('failed', 'rolled_back')),
  error TEXT,
  reported_at TEXT NOT NULL,
  PRIMARY KEY (rollout_id, device_key)
);

-- Where the scheduled sweep of unreferenced objects resumes, per prefix.
CREATE TABLE sweep_cursors (
  prefix TEXT PRIMARY KEY NOT NULL,
  cursor TEXT,
  updated_at TEXT NOT NULL
);

-- The crash guard counts devices with a dump of a version.
CREATE INDEX coredumps_rollout_guard ON coredumps (model_code, firmware_version, device_key);

-- The sweep of unreferenced objects asks whether a row names a key.
CREATE INDEX firmware_versions_image_key ON firmware_versions (image_key);
CREATE INDEX firmware_versions_bundle_key ON firmware_versions (bundle_key);
