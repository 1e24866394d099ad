// What bench/elf-index.mjs bundles and runs: the index builder and reader, and the synthetic ELF.
export { buildElfIndex } from "../src/lib/elf-index/build";
export { openElfIndex } from "../src/lib/elf-index/read";
export { memorySource } from "../src/lib/zip/byte-source";
export { syntheticElf } from "./elf-synthetic";
