/** A frame as an unwinder finds it, before names are looked up. */
export interface RawFrame {
	pc: number;
	kind: "app" | "rom" | "scanned";
	/** False for frame 0 (its PC is where it stopped); true for callers (a return address). */
	caller: boolean;
}

/** The most frames one backtrace holds; deeper chains are cut. */
export const MAX_FRAMES = 64;
