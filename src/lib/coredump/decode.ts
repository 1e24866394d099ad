import { decodeBinaryDump } from "./binary-dump";
import { chipById } from "./chip-memory";
import type { DecodedDump } from "./decoded";
import { DumpError } from "./dump-error";
import { isElf } from "./elf-core";
import { decodeElfDump } from "./elf-dump";
import { type DumpHeader, notACoreDump, readHeader, verifiedBody } from "./header";
import { decodeUartText, looksLikeText } from "./uart";

/**
 * Recognises the form of a dump from its bytes and decodes it: the raw image of the coredump
 * partition (a `core_dump_header_t`, then an ELF core or the binary task list, then a
 * checksum), a bare ELF core file, or the UART text form of either. Throws DumpError.
 */
export async function decodeDump(bytes: Uint8Array): Promise<DecodedDump> {
	const header = readHeader(bytes);
	if (header) return decodeImage(bytes, header);
	if (isElf(bytes)) return decodeElfDump(bytes, null);
	if (looksLikeText(bytes)) {
		const inner = decodeUartText(bytes);
		const innerHeader = readHeader(inner);
		if (innerHeader) return decodeImage(inner, innerHeader);
		if (isElf(inner)) return decodeElfDump(inner, null);
	}
	throw notACoreDump();
}

async function decodeImage(bytes: Uint8Array, header: DumpHeader): Promise<DecodedDump> {
	try {
		const body = await verifiedBody(bytes, header);
		return header.format === "elf" ? decodeElfDump(body, header) : decodeBinaryDump(body, header);
	} catch (error) {
		if (error instanceof DumpError) {
			error.facts = {
				format: header.format,
				dumpVersion: `${header.major}.${header.minor}`,
				checksum: header.checksum,
				chip: chipById(header.chipId)?.name ?? null,
				chipRev: header.chipRev,
			};
		}
		throw error;
	}
}
