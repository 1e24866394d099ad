-- One wrk script for every load run of `npm run bench`, configured by arguments after `--`:
--   method=GET|HEAD|POST|PUT   header=Name: value (repeatable)   body=<file>
--   tokens=<file>      one bearer token per line, used in turn (a fleet of devices)
--   ranges=<size>:<chunk>  ESP-IDF partial download, over and over: the size probe
--                      (bytes=0-0, as IDF sends when HEAD is not used), then bytes=0-(chunk-1),
--                      … and the last one open-ended (bytes=a-)
-- done() prints one line `WRK_JSON {...}` that bench/lib/load.mjs reads.

local method = "GET"
local headers = {}
local body = nil
local tokens = {}
local ranges = {}
local turn = 0

function init(args)
	for _, arg in ipairs(args) do
		local key, value = arg:match("^([%w_]+)=(.*)$")
		if key == "method" then
			method = value
		elseif key == "header" then
			local name, v = value:match("^([^:]+):%s*(.*)$")
			headers[name] = v
		elseif key == "body" then
			local file = assert(io.open(value, "rb"))
			body = file:read("*a")
			file:close()
		elseif key == "tokens" then
			for line in io.lines(value) do
				if #line > 0 then tokens[#tokens + 1] = "Bearer " .. line end
			end
		elseif key == "ranges" then
			local size, chunk = value:match("^(%d+):(%d+)$")
			size, chunk = tonumber(size), tonumber(chunk)
			ranges[1] = "bytes=0-0"
			local offset = 0
			while offset + chunk < size do
				ranges[#ranges + 1] = string.format("bytes=%d-%d", offset, offset + chunk - 1)
				offset = offset + chunk
			end
			ranges[#ranges + 1] = string.format("bytes=%d-", offset)
		end
	end
end

function request()
	turn = turn + 1
	if #tokens > 0 then headers["Authorization"] = tokens[(turn % #tokens) + 1] end
	if #ranges > 0 then headers["Range"] = ranges[(turn % #ranges) + 1] end
	return wrk.format(method, nil, headers, body)
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
		'"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
		'"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
		summary.requests, summary.duration, summary.bytes,
		e.connect, e.read, e.write, e.status, e.timeout,
		latency:percentile(50), latency:percentile(90), latency:percentile(99),
		latency.max, latency.mean))
end
