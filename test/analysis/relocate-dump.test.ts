/** The relocation that models a relinked build's dump (test/helpers/coredump/relocate-dump.ts). */
import { describe, expect, it } from "vitest";
import { readHeader, verifiedBody } from "../../src/lib/coredump/header";
import { rawImage, realDump } from "../helpers/coredump/real-dumps";
import { movedWord, relocateDump } from "../helpers/coredump/relocate-dump";
import { DELTA } from "../helpers/coredump/two-builds";

describe("a relink's relocation of a dump", () => {
	const xtensa = { start: 0x400d0020, end: 0x400e4940, delta: DELTA, xtensa: true };
	it("moves Xtensa return addresses by their low 30 bits and keeps the window-size bits", () => {
		expect(movedWord(0x400d66bc, xtensa)).toBe(0x400d76bc);
		expect(movedWord(0x800d66bc, xtensa)).toBe(0x800d76bc);
		expect(movedWord(0xc00e40a3, xtensa)).toBe(0xc00e50a3);
		// Plain numbers and addresses outside the moved code stay.
		expect(movedWord(0x000d66bc, xtensa)).toBeNull();
		expect(movedWord(0x8008510c, xtensa)).toBeNull();
		expect(movedWord(0x3ffb4f0b, xtensa)).toBeNull();
	});

	it("moves RISC-V words inside the moved code only", () => {
		const riscv = { start: 0x42000020, end: 0x420180be, delta: DELTA, xtensa: false };
		expect(movedWord(0x42009354, riscv)).toBe(0x4200a354);
		expect(movedWord(0x420180be, riscv)).toBeNull();
		expect(movedWord(0x4038368e, riscv)).toBeNull();
		expect(movedWord(0x800d66bc, riscv)).toBeNull();
	});
});

describe.each(["esp32", "esp32c3", "esp32c6"] as const)("relocating the %s dump", (chip) => {
	const image = rawImage(realDump(chip));
	const code = { start: 0x40000000, end: 0x44000000, xtensa: chip === "esp32" };

	it("keeps every byte when nothing moves", async () => {
		expect(await relocateDump(image, { ...code, delta: 0 })).toEqual(image);
	});

	it("changes the dump and leaves a checksum that matches its new bytes", async () => {
		const moved = await relocateDump(image, { ...code, delta: DELTA, elfSha256: "ab".repeat(32) });
		expect(moved).not.toEqual(image);
		const header = readHeader(moved);
		if (!header) throw new Error("no header");
		await expect(verifiedBody(moved, header)).resolves.toBeInstanceOf(Uint8Array);
		// The original's checksum no longer fits the moved bytes.
		const stale = moved.slice();
		stale.set(image.subarray(header.dataLength - 4, header.dataLength), header.dataLength - 4);
		await expect(verifiedBody(stale, header)).rejects.toMatchObject({
			code: "DUMP_CHECKSUM_MISMATCH",
		});
	});
});
