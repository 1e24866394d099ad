import { buildAppImage, sha256Hex } from "../fixtures/app-image";
import { childProcess, fs, nodeProcess, os } from "./node-builtins";

export interface EspIdfProjectOptions {
	/** The build's own name: build/<name>.bin/.elf/.map (default "thermo_fw"). */
	projectName?: string;
	/** The version in the app image (default "1.2.3"). */
	version?: string;
	/** project_version in project_description.json (default: `version`). */
	projectVersion?: string;
	/** Files the build left out. */
	omit?: ("elf" | "map" | "sdkconfig")[];
}

export interface EspIdfProject {
	dir: string;
	image: Uint8Array;
	elf: Uint8Array;
	/** HEAD of the project's git repository. */
	commit: string;
	remove(): void;
}

export const IDF_VERSION = "v5.4.1";

/**
 * An ESP-IDF project root as `idf.py build` leaves it: build/project_description.json (with the
 * nesting and neighbours of a real one), the app image, ELF and map named for the project,
 * sdkconfig, and a git repository with one commit.
 */
export async function makeEspIdfProject(
	options: EspIdfProjectOptions = {},
): Promise<EspIdfProject> {
	const name = options.projectName ?? "thermo_fw";
	const version = options.version ?? "1.2.3";
	const omit = new Set(options.omit ?? []);
	const dir = fs.mkdtempSync(`${os.tmpdir()}/ota-edge-idf-`);
	const build = `${dir}/build`;
	fs.mkdirSync(build, { recursive: true });

	const elf = crypto.getRandomValues(new Uint8Array(4096));
	const image = await buildAppImage({
		version,
		projectName: name,
		elfSha256: await sha256Hex(elf),
	});
	fs.writeFileSync(`${build}/${name}.bin`, image);
	if (!omit.has("elf")) fs.writeFileSync(`${build}/${name}.elf`, elf);
	if (!omit.has("map"))
		fs.writeFileSync(`${build}/${name}.map`, `Archive member included\n${name}\n`);
	if (!omit.has("sdkconfig")) fs.writeFileSync(`${dir}/sdkconfig`, 'CONFIG_IDF_TARGET="esp32"\n');
	const description = {
		version: "1.2",
		project_name: name,
		// A nested member of the same name must not be taken for the real one.
		debug: { project_version: "not this one", nested: [{ app_bin: "nor.bin" }] },
		project_version: options.projectVersion ?? version,
		project_path: dir,
		idf_path: "/opt/esp/idf",
		build_dir: build,
		config_file: `${dir}/sdkconfig`,
		config_defaults: "",
		bootloader_elf: `${build}/bootloader/bootloader.elf`,
		app_elf: `${name}.elf`,
		app_bin: `${name}.bin`,
		build_type: "flash_app",
		git_revision: IDF_VERSION,
		target: "esp32",
		build_components: ["app_trace", "esp_app_format", "main"],
		build_component_paths: ["/opt/esp/idf/components/app_trace", `${dir}/main`],
		monitor_toolprefix: "xtensa-esp32-elf-",
	};
	fs.writeFileSync(`${build}/project_description.json`, JSON.stringify(description, null, 4));

	const git = (...args: string[]) =>
		childProcess
			.execFileSync("git", ["-c", "user.name=CI", "-c", "user.email=ci@example.invalid", ...args], {
				cwd: dir,
				env: { ...nodeProcess.env, HOME: dir, GIT_CONFIG_NOSYSTEM: "1" },
				encoding: "utf8",
			})
			.trim();
	git("init", "-q");
	git("add", "-A");
	git("commit", "-q", "-m", "firmware");
	const commit = git("rev-parse", "HEAD");

	return {
		dir,
		image,
		elf,
		commit,
		remove: () => fs.rmSync(dir, { recursive: true, force: true }),
	};
}
