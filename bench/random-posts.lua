-- wrk script of bench/run and bench/citus: each request asks for a post chosen at random from the
-- whole data set, with the Host header of the post's site.
--
--   wrk -s bench/random-posts.lua http://127.0.0.1:PORT -- TARGETS           (uniform)
--   wrk -s bench/random-posts.lua http://127.0.0.1:PORT -- TARGETS zipf      (Zipf, s = 1)
--
-- TARGETS has one `host path` pair per line (published posts' addresses on their sites' primary
-- domains). Each wrk thread reads the file and gets its own random sequence (bench/targets.lua).
--
-- Uniform: every line is equally likely. Zipf with s = 1: the line of rank k (its line number,
-- from 1) is asked for with probability (1 / k) / H(N), H(N) = 1 + 1/2 + … + 1/N; bench/run
-- shuffles the file with a fixed seed, so the popular posts are spread over the sites. Each thread
-- computes the cumulative sums of 1/k once in `init`; a request draws u in [0, H(N)) and takes the
-- first rank whose cumulative sum reaches u (binary search).

local shared = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "targets.lua")

local targets = {}
local cumulative = nil

setup = shared.number

-- The cumulative sums of 1/k for k = 1 … #targets.
local function zipf_cumulative()
   local sums, total = {}, 0
   for k = 1, #targets do
      total = total + 1 / k
      sums[k] = total
   end
   return sums
end

-- The first rank whose cumulative sum is at least u.
local function rank_of(u)
   local low, high = 1, #cumulative
   while low < high do
      local middle = math.floor((low + high) / 2)
      if cumulative[middle] < u then
         low = middle + 1
      else
         high = middle
      end
   end
   return low
end

function init(args)
   targets = shared.read(args[1])
   local mode = args[2] or "uniform"
   assert(mode == "uniform" or mode == "zipf", "unknown mode " .. mode .. " (uniform or zipf)")
   if mode == "zipf" then
      cumulative = zipf_cumulative()
   end
   shared.seed()
end

local function pick()
   if cumulative then
      return targets[rank_of(math.random() * cumulative[#cumulative])]
   end
   return targets[math.random(#targets)]
end

function request()
   return shared.request(pick())
end
