-- What the random wrk scripts (random-posts.lua, random-mix.lua) share: reading a targets file
-- and giving each wrk thread its own random sequence. They load it from their own folder:
--
--   local shared = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "targets.lua")
--
-- wrk runs each script once per thread, in a Lua state of its own, so this is too.

local M = {}

-- The `host path` pairs of a targets file (one per line), as { host, path } tables.
function M.read(name)
   local targets = {}
   local file = assert(io.open(name, "r"), "cannot open the targets file " .. tostring(name))
   for line in file:lines() do
      local host, path = line:match("^(%S+)%s+(%S+)$")
      if host then
         targets[#targets + 1] = { host, path }
      end
   end
   file:close()
   assert(#targets > 0, "no targets in " .. name)
   return targets
end

-- Numbers the threads in wrk's `setup`, so that `seed` gives each its own sequence.
local started = 0
function M.number(thread)
   started = started + 1
   thread:set("number", started)
end

-- Seeds this thread's random sequence (`number` is the global `M.number` set).
function M.seed()
   math.randomseed(os.time() * 1000 + (number or 0) * 7919)
end

-- The request for a { host, path } target.
function M.request(target)
   return wrk.format("GET", target[2], { Host = target[1] })
end

return M
