// What the crash analysis benches bundle (bench/lib/crash-code.mjs): the index builder and
// reader, the dump decoder, the ELFs the decode tests build from ../shared/coredumps, and the
// synthetic ELFs of bench/elf-synthetic.ts.
export { analyzeCoredump } from "../src/lib/coredump/analyze";
export { buildElfIndex } from "../src/lib/elf-index/build";
export { openElfIndex } from "../src/lib/elf-index/read";
export { memorySource } from "../src/lib/zip/byte-source";
export { buildChipFixtureElf } from "../test/fixtures/elf/chip-elf";
export { paddedElf, syntheticElf } from "./elf-synthetic";
