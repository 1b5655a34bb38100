-- wrk script of bench/run: a mix of public pages from the whole data set, each request a kind of
-- page chosen by weight, then one page of that kind uniformly at random, with its site's Host
-- header.
--
--   wrk -s bench/random-mix.lua http://127.0.0.1:PORT -- 70 posts.txt 15 homes.txt 10 products.txt 5 feeds.txt
--
-- Arguments come in pairs: a weight, then a targets file of that kind (`host path` per line). A
-- kind is chosen with probability weight / sum of the weights. Each wrk thread reads the files
-- and gets its own random sequence (bench/targets.lua).

local shared = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "targets.lua")

local kinds = {}
local total_weight = 0

setup = shared.number

function init(args)
   assert(#args >= 2 and #args % 2 == 0, "arguments: WEIGHT FILE [WEIGHT FILE …]")
   for i = 1, #args, 2 do
      local weight = assert(tonumber(args[i]), "not a weight: " .. args[i])
      total_weight = total_weight + weight
      kinds[#kinds + 1] = { up_to = total_weight, targets = shared.read(args[i + 1]) }
   end
   shared.seed()
end

local function pick()
   local u = math.random() * total_weight
   for _, kind in ipairs(kinds) do
      if u < kind.up_to then
         return kind.targets[math.random(#kind.targets)]
      end
   end
   local last = kinds[#kinds].targets
   return last[math.random(#last)]
end

function request()
   return shared.request(pick())
end
