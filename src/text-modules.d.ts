// Templates bundled as text (the Text rule in wrangler.toml).
declare module "*.sh" {
	const text: string;
	export default text;
}

declare module "*.ps1" {
	const text: string;
	export default text;
}
