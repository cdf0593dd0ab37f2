"""The Redis side of trending (`tracking.trending`): the scripts that write, read and erase
the boards, so every process applies one set of rules atomically on the server.

Kept apart from the Python rules they mirror (`trending.LocalTrending`) only for length;
a change to one needs the same change to the other (both are tested on both backends in
`tests/tracking/test_realtime_trending.py`).
"""

# The trending part of the state script (`realtime.STATE_LUA`), run for every event with
# a positive weight: trend(pid, ts, weight, cfg). ARGV[5] is the event time as sent (the
# epoch's text), ARGV[8] the categories (SEPARATOR-joined); cfg holds the numbers of
# `realtime.script_config` (see there).
# KEYS[5] ledger, KEYS[6] epoch, KEYS[7] support board, KEYS[8] set of board names,
# KEYS[10..] the item's boards.
REDIS_TREND_LUA = """
local function trend(pid, ts, weight, cfg)
  local size, hl, slack = cfg[4], cfg[10], cfg[12]
  local raw_epoch = redis.call('GET', KEYS[6])
  local epoch
  if raw_epoch then epoch = tonumber(raw_epoch) else
    epoch = ts
    redis.call('SET', KEYS[6], ARGV[5])
  end
  local x = (ts - epoch) / hl
  if x > cfg[5] then
    local factor = 2 ^ (-x)
    for _, board in ipairs(redis.call('SMEMBERS', KEYS[8])) do
      redis.call('ZUNIONSTORE', board, 1, board, 'WEIGHTS', factor)
      redis.call('ZREMRANGEBYSCORE', board, '-inf', '(' .. cfg[11])
    end
    epoch = ts
    redis.call('SET', KEYS[6], ARGV[5])
    x = 0
  end
  local growth = 2 ^ x
  local ledger = KEYS[5]
  local ledger_epoch = redis.call('HGET', ledger, 'e')
  if ledger_epoch and tonumber(ledger_epoch) ~= epoch then
    local factor = 2 ^ ((tonumber(ledger_epoch) - epoch) / hl)
    local all = redis.call('HGETALL', ledger)
    for i = 1, #all, 2 do
      local kind = string.sub(all[i], 1, 2)
      if kind == 'c|' or kind == 'n|' then
        redis.call('HSET', ledger, all[i], tonumber(all[i + 1]) * factor)
      end
    end
  end
  local got = redis.call('HMGET', ledger, 'w|' .. pid, 'x|' .. pid)
  local added, new_shopper = 0, false
  if (not got[1]) or ts - tonumber(got[1]) >= hl then
    if (not got[1]) and redis.call('HLEN', ledger) >= cfg[7] then return end
    redis.call('HSET', ledger, 'w|' .. pid, ARGV[5], 'x|' .. pid, weight)
    added, new_shopper = weight, true
  elseif weight > tonumber(got[2]) then
    redis.call('HSET', ledger, 'x|' .. pid, weight)
    added = weight - tonumber(got[2])
  end
  if added <= 0 then return end
  local increment = added * growth
  for i = 10, #KEYS do
    redis.call('ZINCRBY', KEYS[i], increment, pid)
    if redis.call('ZCARD', KEYS[i]) > slack * size then
      redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -size - 1)
    end
    redis.call('SADD', KEYS[8], KEYS[i])
  end
  redis.call('HINCRBYFLOAT', ledger, 'c|' .. pid, increment)
  if ARGV[8] ~= '' then
    local known = redis.call('HGET', ledger, 'k|' .. pid)
    if not known then
      redis.call('HSET', ledger, 'k|' .. pid, ARGV[8])
    elseif known ~= ARGV[8] then
      local seen, merged = {}, {}
      for part in string.gmatch(known .. '\31' .. ARGV[8], '[^\31]+') do
        if not seen[part] then seen[part] = true; merged[#merged + 1] = part end
      end
      redis.call('HSET', ledger, 'k|' .. pid, table.concat(merged, '\31'))
    end
  end
  if new_shopper then
    redis.call('ZINCRBY', KEYS[7], growth, pid)
    if redis.call('ZCARD', KEYS[7]) > slack * size then
      redis.call('ZREMRANGEBYRANK', KEYS[7], 0, -size - 1)
    end
    redis.call('SADD', KEYS[8], KEYS[7])
    redis.call('HINCRBYFLOAT', ledger, 'n|' .. pid, growth)
  end
  redis.call('HSET', ledger, 'e', redis.call('GET', KEYS[6]))
  redis.call('EXPIRE', ledger, cfg[6])
end
"""

# KEYS: board, support board, epoch. ARGV: n, now, half-life, min shoppers, max scan.
# ZMSCORE: Redis 6.2 or later.
# Returns {epoch, item, stored score, item, stored score, ...}: the caller scales.
TREND_READ_LUA = """
local raw_epoch = redis.call('GET', KEYS[3])
if not raw_epoch then return {} end
local n, scan = tonumber(ARGV[1]), tonumber(ARGV[5])
local scale = 2 ^ (-(tonumber(ARGV[2]) - tonumber(raw_epoch)) / tonumber(ARGV[3]))
if scale <= 0 then return {raw_epoch} end
local needed = tonumber(ARGV[4]) / scale
if needed <= 0 then
  local out = redis.call('ZREVRANGE', KEYS[1], 0, n - 1, 'WITHSCORES')
  table.insert(out, 1, raw_epoch)
  return out
end
local kept, start, chunk = {}, 0, math.max(2 * n, 32)
while #kept < n and start < scan do
  local ids = redis.call('ZREVRANGE', KEYS[1], start, start + chunk - 1)
  if #ids == 0 then break end
  local supports = redis.call('ZMSCORE', KEYS[2], unpack(ids))
  for i = 1, #ids do
    if supports[i] and tonumber(supports[i]) >= needed then
      kept[#kept + 1] = ids[i]
      if #kept >= n then break end
    end
  end
  start = start + chunk
end
local out = {raw_epoch}
if #kept == 0 then return out end
local scores = redis.call('ZMSCORE', KEYS[1], unpack(kept))
for i = 1, #kept do
  out[#out + 1] = kept[i]
  out[#out + 1] = scores[i]
end
return out
"""

# KEYS: ledger, epoch, support board, store-wide board.
# ARGV: category board name prefix, half-life, now.
# Subtracts one shopper's contributions from every board they reached, deletes the ledger.
TREND_FORGET_LUA = """
local all = redis.call('HGETALL', KEYS[1])
if #all == 0 then return 0 end
local fields = {}
for i = 1, #all, 2 do fields[all[i]] = all[i + 1] end
local raw_epoch = redis.call('GET', KEYS[2])
if raw_epoch and fields['e'] then
  local epoch, hl = tonumber(raw_epoch), tonumber(ARGV[2])
  local factor = 2 ^ ((tonumber(fields['e']) - epoch) / hl)
  local floor = 1e-6 * 2 ^ ((tonumber(ARGV[3]) - epoch) / hl)
  local function take(board, pid, amount)
    local left = redis.call('ZINCRBY', board, -amount * factor, pid)
    if tonumber(left) <= floor then redis.call('ZREM', board, pid) end
  end
  for name, value in pairs(fields) do
    local kind, pid = string.sub(name, 1, 2), string.sub(name, 3)
    if kind == 'c|' then
      if redis.call('ZSCORE', KEYS[4], pid) then take(KEYS[4], pid, tonumber(value)) end
      local cats = fields['k|' .. pid]
      if cats then
        for cat in string.gmatch(cats, '[^\\31]+') do
          local board = ARGV[1] .. cat
          if redis.call('ZSCORE', board, pid) then take(board, pid, tonumber(value)) end
        end
      end
    elseif kind == 'n|' and redis.call('ZSCORE', KEYS[3], pid) then
      take(KEYS[3], pid, tonumber(value))
    end
  end
end
redis.call('DEL', KEYS[1])
return 1
"""
