<#
.SYNOPSIS
Uploads an ESP-IDF build to ota-edge: a bundle of the app image, ELF, map, sdkconfig and
version.json, so that core dumps can later be decoded against the exact ELF.

.DESCRIPTION
Run it in the ESP-IDF project root after `idf.py build`, with Windows PowerShell 5.1 or
PowerShell 7:

    Invoke-WebRequest -UseBasicParsing <server>/api/pipeline/upload.ps1 -OutFile upload.ps1
    powershell -NoProfile -ExecutionPolicy Bypass -File upload.ps1 [model_code] [path\to\app.bin]

Without arguments the model code is the build's project_name and the image is the build's
app_bin (from build\project_description.json).

Credentials, from the environment:
  IOTSUPPORT_TOKEN          a bearer token with the pipeline role (e.g. the CI system's own OIDC
                            token, when the identity provider trusts it)
  IOTSUPPORT_CLIENT_ID      otherwise: a client id and secret exchanged for a token at the
  IOTSUPPORT_CLIENT_SECRET  server's token URL (OAuth 2 client credentials)
  IOTSUPPORT_SCOPE, IOTSUPPORT_AUDIENCE    optional, sent with that exchange when set
  IOTSUPPORT_BASE_URL, IOTSUPPORT_TOKEN_URL    optional, override the URLs filled in below

It does step for step what upload.sh does.
#>
param(
	[Parameter(Position = 0)][string]$ModelCode = '',
	[Parameter(Position = 1)][string]$ImagePath = ''
)
Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

# Filled in by the server that served this script.
$ServedBaseUrl = '__OTA_BASE_URL__'
$ServedTokenUrl = '__OTA_TOKEN_URL__'

function Write-Info([string]$Message) { [Console]::Error.WriteLine("upload.ps1: $Message") }
function Write-Warn([string]$Message) { [Console]::Error.WriteLine("upload.ps1: warning: $Message") }
function Stop-Upload([string]$Message) {
	[Console]::Error.WriteLine("upload.ps1: error: $Message")
	exit 1
}

# A member of a parsed JSON object as a string ('' when absent or null).
function Get-JsonValue($Object, [string]$Name) {
	if ($null -eq $Object) { return '' }
	$property = $Object.PSObject.Properties[$Name]
	if ($null -eq $property -or $null -eq $property.Value) { return '' }
	return [string]$property.Value
}

function Read-JsonFile([string]$Path) {
	try { return (Get-Content -LiteralPath $Path -Raw -Encoding UTF8 | ConvertFrom-Json) } catch { return $null }
}

function Read-JsonText([string]$Text) {
	if (-not $Text) { return $null }
	try { return ($Text | ConvertFrom-Json) } catch { return $null }
}

function Test-ModelCode([string]$Code) { return $Code -cmatch '^[a-z0-9_]{1,50}\z' }

# The first path that is a file, or ''.
function Get-FirstFile([string[]]$Candidates) {
	foreach ($candidate in $Candidates) {
		if ($candidate -and (Test-Path -LiteralPath $candidate -PathType Leaf)) { return $candidate }
	}
	return ''
}

function Get-GitCommit([string]$Root) {
	if (-not (Get-Command git -ErrorAction SilentlyContinue)) { return '' }
	# Windows PowerShell turns a native command's stderr into an error: keep going instead.
	$ErrorActionPreference = 'Continue'
	$out = & git -C $Root rev-parse HEAD 2>$null
	if ($LASTEXITCODE -ne 0 -or -not $out) { return '' }
	return ([string]($out | Select-Object -First 1)).Trim()
}

# Sends a request; answers @{ Status; Body } for any HTTP status, stops when there is none.
function Invoke-Http([hashtable]$Request) {
	try {
		$response = Invoke-WebRequest @Request -UseBasicParsing
		return @{ Status = [int]$response.StatusCode; Body = [string]$response.Content }
	} catch {
		$failure = $_
		$responseProperty = $failure.Exception.PSObject.Properties['Response']
		if ($null -eq $responseProperty -or $null -eq $responseProperty.Value) {
			Stop-Upload "could not reach $($Request.Uri): $($failure.Exception.Message)"
		}
		$response = $responseProperty.Value
		$body = ''
		if ($failure.ErrorDetails -and $failure.ErrorDetails.Message) {
			$body = $failure.ErrorDetails.Message
		} elseif ($response.PSObject.Methods['GetResponseStream']) {
			# Windows PowerShell: the error body is still in the WebException's response.
			try {
				$reader = New-Object IO.StreamReader($response.GetResponseStream())
				$body = $reader.ReadToEnd()
				$reader.Dispose()
			} catch { $body = '' }
		}
		return @{ Status = [int]$response.StatusCode; Body = $body }
	}
}

function Test-BearerToken([string]$Token, [string]$What) {
	if ($Token -cnotmatch '^[A-Za-z0-9._~+/-]+=*\z') {
		Stop-Upload "$What is not a bearer token (it is empty or has characters a token cannot have)"
	}
	return $Token
}

function Get-ClientToken([string]$TokenUrl, [string]$BaseUrl) {
	if (-not $TokenUrl) {
		Stop-Upload "IOTSUPPORT_CLIENT_ID is set but $BaseUrl has no token URL configured: set IOTSUPPORT_TOKEN or IOTSUPPORT_TOKEN_URL"
	}
	$form = @{
		grant_type = 'client_credentials'
		client_id = $env:IOTSUPPORT_CLIENT_ID
		client_secret = $env:IOTSUPPORT_CLIENT_SECRET
	}
	if ($env:IOTSUPPORT_SCOPE) { $form.scope = $env:IOTSUPPORT_SCOPE }
	if ($env:IOTSUPPORT_AUDIENCE) { $form.audience = $env:IOTSUPPORT_AUDIENCE }
	Write-Info "requesting a token for $($env:IOTSUPPORT_CLIENT_ID) from $TokenUrl"
	$answer = Invoke-Http @{ Uri = $TokenUrl; Method = 'Post'; Body = $form; ContentType = 'application/x-www-form-urlencoded' }
	$json = Read-JsonText $answer.Body
	if ($answer.Status -lt 200 -or $answer.Status -gt 299) {
		$reason = Get-JsonValue $json 'error_description'
		if (-not $reason) { $reason = Get-JsonValue $json 'error' }
		if ($reason) { $reason = ": $reason" }
		Stop-Upload "the token URL refused the client credentials (HTTP $($answer.Status)$reason)"
	}
	return Test-BearerToken (Get-JsonValue $json 'access_token') "the token URL's access_token"
}

# Reports the server's error envelope {"error","code"} and stops.
function Stop-Refused($Answer) {
	$json = Read-JsonText $Answer.Body
	$message = Get-JsonValue $json 'error'
	$code = Get-JsonValue $json 'code'
	if (-not $message -and $Answer.Body) {
		$message = ($Answer.Body -split "`n")[0]
		if ($message.Length -gt 200) { $message = $message.Substring(0, 200) }
	}
	$hint = ''
	if ($Answer.Status -eq 401) { $hint = ' (check the token: it must come from the identity provider this server trusts)' }
	if ($Answer.Status -eq 403) { $hint = ' (the token needs the pipeline or admin role)' }
	$text = "the server refused the upload: HTTP $($Answer.Status)"
	if ($code) { $text += " $code" }
	if ($message) { $text += ": $message" }
	Stop-Upload "$text$hint"
}

function New-Bundle([string]$ZipPath, $Entries) {
	Add-Type -AssemblyName System.IO.Compression
	Add-Type -AssemblyName System.IO.Compression.FileSystem
	$zip = [IO.Compression.ZipFile]::Open($ZipPath, [IO.Compression.ZipArchiveMode]::Create)
	try {
		foreach ($name in $Entries.Keys) {
			$level = [IO.Compression.CompressionLevel]::Optimal
			[void][IO.Compression.ZipFileExtensions]::CreateEntryFromFile($zip, $Entries[$name], $name, $level)
		}
	} finally {
		$zip.Dispose()
	}
}

function Invoke-Upload([string]$Temp) {
	$baseUrl = $ServedBaseUrl
	if ($env:IOTSUPPORT_BASE_URL) { $baseUrl = $env:IOTSUPPORT_BASE_URL }
	$baseUrl = $baseUrl.TrimEnd('/')
	$tokenUrl = $ServedTokenUrl
	if ($env:IOTSUPPORT_TOKEN_URL) { $tokenUrl = $env:IOTSUPPORT_TOKEN_URL }
	if (-not $baseUrl) { Stop-Upload 'no server URL: set IOTSUPPORT_BASE_URL' }

	# What the build says about itself.
	$desc = Join-Path $PWD.ProviderPath 'build/project_description.json'
	if (-not (Test-Path -LiteralPath $desc -PathType Leaf) -and $ImagePath) {
		$imageFull = [IO.Path]::GetFullPath([IO.Path]::Combine($PWD.ProviderPath, $ImagePath))
		$desc = Join-Path (Split-Path -Parent $imageFull) 'project_description.json'
	}
	if (-not (Test-Path -LiteralPath $desc -PathType Leaf)) { $desc = '' }
	$build = $null
	if ($desc) { $build = Read-JsonFile $desc }
	$projectName = Get-JsonValue $build 'project_name'
	$projectVersion = Get-JsonValue $build 'project_version'
	$idfVersion = Get-JsonValue $build 'git_revision'
	$appBin = Get-JsonValue $build 'app_bin'
	$appElf = Get-JsonValue $build 'app_elf'
	$buildDir = Get-JsonValue $build 'build_dir'
	$projectPath = Get-JsonValue $build 'project_path'
	$configFile = Get-JsonValue $build 'config_file'

	$model = $ModelCode
	if (-not $model) {
		if (-not $desc) {
			Stop-Upload 'no build/project_description.json here: run this in the ESP-IDF project root after the build, or pass the model code and the image path'
		}
		if (-not (Test-ModelCode $projectName)) {
			Stop-Upload "the build's project_name '$projectName' is not a model code (1-50 characters of a-z, 0-9 and _): pass the model code as the first argument"
		}
		$model = $projectName
	}
	if (-not (Test-ModelCode $model)) { Stop-Upload "'$model' is not a model code (1-50 characters of a-z, 0-9 and _)" }

	$image = $ImagePath
	if (-not $image) {
		if (-not $appBin) {
			Stop-Upload "the build names no app image (app_bin in $desc): pass the image path as the second argument"
		}
		$candidates = @()
		if ($buildDir) { $candidates += (Join-Path $buildDir $appBin) }
		$candidates += (Join-Path (Split-Path -Parent $desc) $appBin)
		$image = Get-FirstFile $candidates
		if (-not $image) { Stop-Upload "the build's app image $appBin is not in ${buildDir}: build the project first" }
	}
	if (-not (Test-Path -LiteralPath $image -PathType Leaf)) { Stop-Upload "no app image at $image" }
	$image = (Resolve-Path -LiteralPath $image).ProviderPath

	# The bundle's other files, whatever the build called them.
	$binDir = Split-Path -Parent $image
	$stem = [IO.Path]::GetFileNameWithoutExtension($image)
	$root = $PWD.ProviderPath
	if ($projectPath -and (Test-Path -LiteralPath $projectPath -PathType Container)) { $root = $projectPath }
	$elfCandidates = @((Join-Path $binDir "$stem.elf"))
	if ($appElf) { $elfCandidates += (Join-Path $binDir $appElf) }
	if ($projectName) { $elfCandidates += (Join-Path $binDir "$projectName.elf") }
	$mapCandidates = @((Join-Path $binDir "$stem.map"))
	if ($projectName) { $mapCandidates += (Join-Path $binDir "$projectName.map") }
	$elf = Get-FirstFile $elfCandidates
	$map = Get-FirstFile $mapCandidates
	$sdkconfig = Get-FirstFile @($configFile, (Join-Path $root 'sdkconfig'), (Join-Path $PWD.ProviderPath 'sdkconfig'))
	$missing = @()
	if (-not $desc) { $missing += 'project_description.json' }
	if (-not $elf) { $missing += "$stem.elf" }
	if (-not $map) { $missing += "$stem.map" }
	if (-not $sdkconfig) { $missing += 'sdkconfig' }

	$body = $image
	$format = 'bin'
	if ($missing.Count -gt 0) {
		Write-Warn "not found: $($missing -join ' '); uploading the bare app image (core dumps of this version cannot be decoded against its ELF)"
	} else {
		$versionJson = [ordered]@{
			firmware_version = [string]$projectVersion
			idf_version = [string]$idfVersion
			git_commit = [string](Get-GitCommit $root)
		} | ConvertTo-Json -Compress
		$versionPath = Join-Path $Temp 'version.json'
		[IO.File]::WriteAllText($versionPath, $versionJson, (New-Object Text.UTF8Encoding($false)))
		$entries = [ordered]@{}
		$entries["$model.bin"] = $image
		$entries["$model.elf"] = (Resolve-Path -LiteralPath $elf).ProviderPath
		$entries["$model.map"] = (Resolve-Path -LiteralPath $map).ProviderPath
		$entries['sdkconfig'] = (Resolve-Path -LiteralPath $sdkconfig).ProviderPath
		$entries['version.json'] = $versionPath
		$zipPath = Join-Path $Temp 'bundle.zip'
		try {
			New-Bundle $zipPath $entries
			$body = $zipPath
			$format = 'zip'
		} catch {
			Write-Warn "could not build the ZIP bundle ($($_.Exception.Message)); uploading the bare app image (core dumps of this version cannot be decoded against its ELF)"
		}
	}

	if ($env:IOTSUPPORT_TOKEN) {
		$token = Test-BearerToken $env:IOTSUPPORT_TOKEN 'IOTSUPPORT_TOKEN'
	} elseif ($env:IOTSUPPORT_CLIENT_ID -and $env:IOTSUPPORT_CLIENT_SECRET) {
		$token = Get-ClientToken $tokenUrl $baseUrl
	} else {
		Stop-Upload 'no credentials: set IOTSUPPORT_TOKEN to a bearer token with the pipeline role, or IOTSUPPORT_CLIENT_ID and IOTSUPPORT_CLIENT_SECRET'
	}

	$url = "$baseUrl/api/pipeline/models/$model/firmware"
	$contentType = 'application/octet-stream'
	if ($format -eq 'zip') { $contentType = 'application/zip' }
	Write-Info "uploading $image as model $model ($format) to $url"
	$answer = Invoke-Http @{
		Uri = $url
		Method = 'Post'
		InFile = $body
		ContentType = $contentType
		Headers = @{ Authorization = "Bearer $token" }
	}
	if ($answer.Status -lt 200 -or $answer.Status -gt 299) { Stop-Refused $answer }

	$result = Read-JsonText $answer.Body
	$version = Get-JsonValue $result 'firmware_version'
	if (-not $version) { Stop-Upload "the server answered HTTP $($answer.Status) without a firmware version" }
	$warnings = $null
	if ($null -ne $result -and $result.PSObject.Properties['warnings']) { $warnings = $result.warnings }
	foreach ($warning in @($warnings)) { if ($warning) { Write-Warn "server: $warning" } }
	[Console]::Out.WriteLine("Stored firmware version $version for model $model ($(Get-JsonValue $result 'format'), $(Get-JsonValue $result 'size') bytes, sha256 $(Get-JsonValue $result 'sha256'))")
	if ((Get-JsonValue $result 'unchanged') -eq 'True') {
		[Console]::Out.WriteLine("Unchanged: this image was already stored as version $version.")
	}
	if ((Get-JsonValue $result 'replaced') -eq 'True') {
		[Console]::Out.WriteLine("Replaced: version $version had been uploaded before with other bytes.")
	}
}

# Windows PowerShell 5.1 speaks TLS 1.0 unless told otherwise, and waits for 100-continue.
if ($PSVersionTable.PSVersion.Major -lt 6) {
	[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
	[Net.ServicePointManager]::Expect100Continue = $false
}
# Progress only on a terminal (Windows PowerShell's progress display also slows uploads down).
if ([Console]::IsErrorRedirected -or -not [Environment]::UserInteractive) { $ProgressPreference = 'SilentlyContinue' }

$temp = Join-Path ([IO.Path]::GetTempPath()) ('iotsupport-upload-' + [Guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory -Path $temp | Out-Null
try {
	Invoke-Upload $temp
} finally {
	Remove-Item -LiteralPath $temp -Recurse -Force -ErrorAction SilentlyContinue
}
