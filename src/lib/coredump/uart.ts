import { decodedLength, decodeToken, isBase64Token } from "./base64-lines";
import { unknownFormat } from "./dump-error";

/**
 * The UART form of a core dump: the device prints the image as base64 lines (48 bytes a line,
 * each line padded on its own), between `CORE DUMP START`/`END` banners, among its log. A
 * capture may add a prefix to every line (a timestamp, a tag) and end lines with CRLF.
 */

const START = bytesOf("CORE DUMP START");
const END = bytesOf("CORE DUMP END");
const SAMPLE = 4096;

/** True when the bytes look like a text capture (printable ASCII, tabs, line ends, ESC). */
export function looksLikeText(bytes: Uint8Array): boolean {
	if (bytes.length === 0) return false;
	const n = Math.min(bytes.length, SAMPLE);
	for (let i = 0; i < n; i++) {
		const c = bytes[i] as number;
		if (c >= 0x20 && c < 0x7f) continue;
		if (c === 0x09 || c === 0x0a || c === 0x0d || c === 0x1b) continue;
		return false;
	}
	return true;
}

interface Line {
	/** The base64 token of the line: its last whitespace-separated word. */
	start: number;
	end: number;
	data: boolean;
}

/**
 * The dump bytes a UART capture holds. With banners, the lines between the first START and
 * the END after it; without, the longest run of consecutive data lines (so a stray log line
 * that happens to be base64, e.g. a hash, cannot join the dump). ESP-IDF log lines
 * (`I (123) tag: …`) never count as data.
 */
export function decodeUartText(text: Uint8Array): Uint8Array {
	const lines: Line[] = [];
	let sawStart = false;
	for (let start = 0; start < text.length; ) {
		let end = text.indexOf(0x0a, start);
		if (end < 0) end = text.length;
		if (!sawStart && contains(text, start, end, START)) {
			sawStart = true;
			lines.length = 0;
		} else if (sawStart && contains(text, start, end, END)) {
			break;
		} else {
			lines.push(classify(text, start, end));
		}
		start = end + 1;
	}
	const [from, to] = sawStart ? [0, lines.length] : longestDataRun(lines);
	let size = 0;
	for (let i = from; i < to; i++) {
		const line = lines[i] as Line;
		if (line.data) size += decodedLength(text, line.start, line.end);
	}
	if (size === 0) throw unknownFormat("the text holds no base64 core dump lines");
	const out = new Uint8Array(size);
	let at = 0;
	for (let i = from; i < to; i++) {
		const line = lines[i] as Line;
		if (line.data) at = decodeToken(text, line.start, line.end, out, at);
	}
	return out.subarray(0, at);
}

function classify(text: Uint8Array, start: number, end: number): Line {
	let e = end;
	while (e > start && isSpace(text[e - 1] as number)) e--;
	let s = e;
	while (s > start && !isSpace(text[s - 1] as number)) s--;
	const data = s < e && !isLogLine(text, start, e) && isBase64Token(text, s, e);
	return { start: s, end: e, data };
}

/** `I (1234) tag: message`, possibly coloured: an ESP-IDF log line, never dump data. */
function isLogLine(text: Uint8Array, start: number, end: number): boolean {
	let i = start;
	while (i < end && isSpace(text[i] as number)) i++;
	if (text[i] === 0x1b) {
		while (i < end && text[i] !== 0x6d /* m */) i++;
		i++;
	}
	const level = text[i];
	if (level === undefined || !"EWIDV".includes(String.fromCharCode(level))) return false;
	return text[i + 1] === 0x20 && text[i + 2] === 0x28 /* ( */;
}

function longestDataRun(lines: readonly Line[]): [number, number] {
	let best: [number, number] = [0, 0];
	let runStart = -1;
	for (let i = 0; i <= lines.length; i++) {
		const line = lines[i];
		if (line && (line.data || (runStart >= 0 && line.start === line.end))) {
			if (runStart < 0) runStart = i;
			continue;
		}
		if (runStart >= 0 && i - runStart > best[1] - best[0]) best = [runStart, i];
		runStart = -1;
	}
	return best;
}

function isSpace(c: number): boolean {
	return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

function contains(text: Uint8Array, start: number, end: number, word: Uint8Array): boolean {
	const first = word[0] as number;
	for (let i = text.indexOf(first, start); i >= 0 && i + word.length <= end; ) {
		let j = 1;
		while (j < word.length && text[i + j] === word[j]) j++;
		if (j === word.length) return true;
		i = text.indexOf(first, i + 1);
	}
	return false;
}

function bytesOf(s: string): Uint8Array {
	return new TextEncoder().encode(s);
}
