-- wrk script of bench/citus: each request asks for a post chosen uniformly at random from the
-- whole data set, with the Host header of the post's site.
--
--   wrk -s bench/random-posts.lua http://127.0.0.1:PORT -- TARGETS
--
-- TARGETS has one `host path` pair per line (published posts' addresses on their sites' primary
-- domains). Each wrk thread reads the file and gets its own random sequence.

local targets = {}
local started = 0

function setup(thread)
   started = started + 1
   thread:set("number", started)
end

function init(args)
   local file = assert(io.open(args[1], "r"), "cannot open the targets file " .. tostring(args[1]))
   for line in file:lines() do
      local host, path = line:match("^(%S+)%s+(%S+)$")
      if host then
         targets[#targets + 1] = { host, path }
      end
   end
   file:close()
   assert(#targets > 0, "no targets in " .. args[1])
   math.randomseed(os.time() * 1000 + (number or 0) * 7919)
end

function request()
   local target = targets[math.random(#targets)]
   return wrk.format("GET", target[2], { Host = target[1] })
end
