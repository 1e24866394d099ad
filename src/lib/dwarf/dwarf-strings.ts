import type { ElfFile } from "../elf/elf-file";
import { sectionNamed } from "../elf/elf-file";
import { PageCache } from "../elf/page-cache";
import type { ByteSource } from "../zip/byte-source";

const UTF8 = new TextDecoder("utf-8");

/** Strings that DWARF refers to by offset, in `.debug_str` and `.debug_line_str`, read by page. */
export class DwarfStrings {
	private readonly caches = new Map<string, PageCache>();

	constructor(source: ByteSource, elf: ElfFile) {
		for (const name of [".debug_str", ".debug_line_str"]) {
			const section = sectionNamed(elf, name);
			if (section) this.caches.set(name, new PageCache(source, section.offset, section.size, 16));
		}
	}

	/** The string at `offset`, or null when the section is missing or the offset is not in it. */
	async get(section: ".debug_str" | ".debug_line_str", offset: number): Promise<string | null> {
		const bytes = await this.caches.get(section)?.cstring(offset);
		return bytes ? UTF8.decode(bytes) : null;
	}
}
