-- wrk script: GET random 1 MiB ranges of one blob, as tethered nodes read image chunks.
-- BLOB_PATH and BLOB_SIZE come from the environment (bench/run.sh sets them).
local path = os.getenv("BLOB_PATH")
local size = tonumber(os.getenv("BLOB_SIZE"))
local chunk = 1024 * 1024

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  -- A different sequence per thread; the same seeds for every server, so both get the same ranges.
  math.randomseed(tonumber(os.getenv("BENCH_SEED") or "1") + (id or 0))
end

function request()
  local first = math.random(0, math.floor((size - chunk) / 4096)) * 4096
  return wrk.format("GET", path, { ["Range"] = "bytes=" .. first .. "-" .. (first + chunk - 1) })
end

function done(summary, latency, requests)
  if summary.errors.status > 0 then
    io.stderr:write(string.format("warning: %d responses were not 206\n", summary.errors.status))
  end
end
