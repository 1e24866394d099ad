/**
 * GCC's suffixes for copies of a function it specialised or split (`.part.0`, `.isra.0`,
 * `.constprop.1`, `.cold`; `$part$0` on Xtensa, whose assembler reserves the dot).
 */
const CLONE_SUFFIX =
	/(?:[.$](?:part|isra|constprop|cold|lto_priv|localalias|clone|specialized)(?:[.$]\d+)*)+$/;

/**
 * The name gdb shows for a function symbol: a compiler-made copy (`foo.part.0`) by the name of
 * the function it was made from, as its debug information names it.
 */
export function functionName(symbolName: string): string {
	const stripped = symbolName.replace(CLONE_SUFFIX, "");
	return stripped === "" ? symbolName : stripped;
}
