-- Who is building the index of a model's ELF right now (SPEC §10). After a release crashes,
-- many dumps of one new ELF reach the queue at once, and the consumer may run in several
-- isolates: the first to claim the ELF builds its index, the others wait for that index instead
-- of building the same one. A lease, not a lock: a builder that dies is replaced when its lease
-- runs out. The row goes when its build ends, and with its model.
CREATE TABLE elf_index_builds (
  model_code TEXT NOT NULL REFERENCES device_models (code) ON DELETE CASCADE,
  elf_sha256 TEXT NOT NULL CHECK (length(elf_sha256) = 64),
  holder TEXT NOT NULL,
  -- Milliseconds since the epoch after which another consumer may take the build over.
  lease_until INTEGER NOT NULL,
  PRIMARY KEY (model_code, elf_sha256)
);
