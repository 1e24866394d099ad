-- Crash analysis (SPEC §10): every bundle's ELF kept whole in R2, and one analysis per core dump.

-- The ELF of a bundle, as its own object (null for bare-image versions).
ALTER TABLE firmware_versions ADD COLUMN elf_key TEXT;
ALTER TABLE firmware_versions ADD COLUMN elf_size INTEGER;
-- Dumps name their ELF by a prefix of its SHA-256: looked up among a model's versions with an ELF.
CREATE INDEX firmware_versions_elf ON firmware_versions (model_code, elf_sha256)
  WHERE elf_key IS NOT NULL;

-- The analysis of each dump. status and the summary columns are what lists show; `analysis` is
-- the whole analysis as JSON, or NULL with `analysis_key` naming its R2 object when it is large.
ALTER TABLE coredumps ADD COLUMN status TEXT NOT NULL DEFAULT 'pending'
  CHECK (status IN ('pending', 'decoded', 'unsymbolized', 'failed'));
ALTER TABLE coredumps ADD COLUMN error_code TEXT;
ALTER TABLE coredumps ADD COLUMN signature TEXT;
-- JSON {"tcb","name"}
ALTER TABLE coredumps ADD COLUMN crashed_task TEXT;
ALTER TABLE coredumps ADD COLUMN panic_reason TEXT;
-- JSON, as in the analysis
ALTER TABLE coredumps ADD COLUMN exception TEXT;
-- What the dump names of its ELF, so a bundle uploaded later finds the dumps it can symbolize.
ALTER TABLE coredumps ADD COLUMN elf_sha256_prefix TEXT;
-- The version whose ELF decoded it (null while unmatched).
ALTER TABLE coredumps ADD COLUMN matched_version TEXT;
ALTER TABLE coredumps ADD COLUMN analysis TEXT;
ALTER TABLE coredumps ADD COLUMN analysis_key TEXT;
ALTER TABLE coredumps ADD COLUMN analyzed_at TEXT;
-- Set while an analysis is wanted (upload, re-analysis, an ELF arriving), cleared when one is
-- stored; `analysis_enqueued_at` is when a queue message was last sent for it.
ALTER TABLE coredumps ADD COLUMN analysis_requested_at TEXT;
ALTER TABLE coredumps ADD COLUMN analysis_enqueued_at TEXT;

-- Dumps stored before this migration are analysed by the next scheduled run.
UPDATE coredumps SET analysis_requested_at = uploaded_at;

CREATE INDEX coredumps_analysis_wanted ON coredumps (analysis_enqueued_at)
  WHERE analysis_requested_at IS NOT NULL;
CREATE INDEX coredumps_unsymbolized ON coredumps (model_code, firmware_version)
  WHERE status = 'unsymbolized';

-- The decoding index of an ELF (per model, by the ELF's SHA-256), kept in R2 under index_key.
-- Built the first time a dump needs it; the row goes (in the same batch) when the last version
-- of the model with that ELF goes, and the object after it.
CREATE TABLE elf_indexes (
  model_code TEXT NOT NULL REFERENCES device_models (code) ON DELETE CASCADE,
  elf_sha256 TEXT NOT NULL CHECK (length(elf_sha256) = 64),
  index_key TEXT NOT NULL,
  size INTEGER NOT NULL,
  built_at TEXT NOT NULL,
  PRIMARY KEY (model_code, elf_sha256)
);
