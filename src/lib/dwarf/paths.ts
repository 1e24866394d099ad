/** True for `/…`, `C:/…`, `C:\…` and `\\server\…`: paths gdb would not prefix with a directory. */
export function isAbsolute(path: string): boolean {
	return path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith("\\\\");
}

/** `dir` and `name` joined by one `/` (none added when `dir` already ends with a separator). */
export function joinPath(dir: string, name: string): string {
	return dir.endsWith("/") || dir.endsWith("\\") ? `${dir}${name}` : `${dir}/${name}`;
}
