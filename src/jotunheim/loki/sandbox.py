"""The trusted Lua code each LuaRuntime runs once: the sandboxed environment and the limit hook."""

SANDBOX_LUA = r"""
-- Loki's trusted Lua side: built once per LuaRuntime with the full standard library, before
-- anything is handed to a script. Scripts only ever see the environments make_env() builds.
local clock, emit, children = ...

local debug_sethook, debug_setupvalue = debug.sethook, debug.setupvalue
local co_create, co_resume, co_running = coroutine.create, coroutine.resume, coroutine.running
local next, type, error, select, tostring, rawget = next, type, error, select, tostring, rawget
local setmetatable, load, collectgarbage = setmetatable, load, collectgarbage
local table_concat = table.concat

-- Method calls on strings ("x"):f() reach the real string table through the shared string
-- metatable: drop string.dump there and hide the metatable so scripts cannot edit it.
string.dump = nil
getmetatable("").__metatable = false

local state = {count = 0, limit = 0, deadline = 0, step = 1000, ticks = 0, stopped = false}

-- The count hook: every `step` instructions add to the budget and, every 8th time, compare
-- the wall clock. Once over, re-arm at count 1 so every further instruction fails: a script
-- that catches the error with pcall cannot make progress (not even in an enclosing loop).
local hook
hook = function()
  local s = state
  if not s.stopped then
    s.count = s.count + s.step
    if s.count > s.limit then
      s.stopped = "instruction limit exceeded"
    else
      s.ticks = s.ticks + 1
      if s.ticks >= 8 then
        s.ticks = 0
        if clock() > s.deadline then s.stopped = "time limit exceeded" end
      end
    end
    if not s.stopped then return end
    debug_sethook(co_running(), hook, "", 1)
  end
  error(s.stopped, 0)
end

-- Hooks are per coroutine in Lua 5.4: every coroutine a script creates gets the same hook.
local function arm(co)
  debug_sethook(co, hook, "", state.stopped and 1 or state.step)
  return co
end

local function unwrap(ok, ...)
  if ok then return ... end
  error((...), 0)
end

local safe_coroutine = {
  create = function(f) return arm(co_create(f)) end,
  wrap = function(f)
    local co = arm(co_create(f))
    return function(...) return unwrap(co_resume(co, ...)) end
  end,
  resume = coroutine.resume, yield = coroutine.yield, status = coroutine.status,
  running = coroutine.running, isyieldable = coroutine.isyieldable, close = coroutine.close,
}

-- Lua runs __gc finalizers with hooks disabled, so a looping finalizer could never be stopped.
local function safe_setmetatable(t, mt)
  if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
    error("__gc metamethods are not allowed in Loki scripts", 2)
  end
  return setmetatable(t, mt)
end

local function safe_collectgarbage(opt)
  if opt == "count" then return collectgarbage("count") end
  error("collectgarbage: only \"count\" is available to scripts", 2)
end

local function pick(lib, names)
  local t = {}
  for i = 1, #names do t[names[i]] = lib[names[i]] end
  return t
end

local LIBS = {
  string = pick(string, {"byte", "char", "find", "format", "gmatch", "gsub", "len", "lower",
    "match", "rep", "reverse", "sub", "upper", "pack", "packsize", "unpack"}),
  table = pick(table, {"concat", "insert", "move", "pack", "remove", "sort", "unpack"}),
  math = pick(math, {"abs", "ceil", "cos", "deg", "exp", "floor", "fmod", "huge", "log",
    "max", "maxinteger", "min", "mininteger", "modf", "pi", "rad", "random", "randomseed",
    "sin", "sqrt", "tan", "tointeger", "type", "ult", "atan", "asin", "acos"}),
  utf8 = pick(utf8, {"char", "charpattern", "codes", "codepoint", "len", "offset"}),
  os = pick(os, {"clock", "time", "date"}),
  coroutine = safe_coroutine,
}
local FUNCS = {
  assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, pcall = pcall,
  select = select, tonumber = tonumber, tostring = tostring, type = type, xpcall = xpcall,
  rawequal = rawequal, rawget = rawget, rawlen = rawlen, rawset = rawset,
  getmetatable = getmetatable, setmetatable = safe_setmetatable,
  collectgarbage = safe_collectgarbage, _VERSION = _VERSION,
}

-- Child modules: Python functions return (true, value) or (false, message); a failure
-- becomes a Lua error at the script's call site.
local function wrap_child(pyfn)
  return function(...)
    local ok, value = pyfn(...)
    if not ok then error(value, 2) end
    return value
  end
end
local MODULES = {}
for name, funcs in next, children do
  local m = {}
  for fname, pyfn in next, funcs do m[fname] = wrap_child(pyfn) end
  MODULES[name] = m
end

local function copy(t)
  local c = {}
  for k, v in next, t do c[k] = v end
  return c
end

local function print_(...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do parts[i] = tostring((select(i, ...))) end
  emit(table_concat(parts, "\t"))
end

-- A fresh environment per call, filled lazily: a library or module table is copied on first
-- use, so nothing a script changes survives into the next call on this runtime and a call
-- pays only for what it touches. The shared metatable is protected (__metatable = false).
local SHARED = {print = print_}
for k, v in next, FUNCS do SHARED[k] = v end
local TABLES = {}
for k, v in next, LIBS do TABLES[k] = v end
for k, v in next, MODULES do TABLES[k] = v end

local env_mt = {__metatable = false}
env_mt.__index = function(env, key)
  local v = SHARED[key]
  if v == nil then
    local lib = TABLES[key]
    if lib ~= nil then
      v = copy(lib)
    elseif key == "_G" then
      v = env
    elseif key == "load" then
      -- Text chunks only (Lua does not verify bytecode), and never the real global table.
      v = function(chunk, name, mode, e)
        if e == nil then e = env end
        return load(chunk, name, "t", e)
      end
    else
      return nil
    end
  end
  rawset(env, key, v)
  return v
end

local function make_env(params)
  return setmetatable({params = params}, env_mt)
end

-- Per call: fresh environment, reset budget, then arm the hook on the main thread last, so
-- only this function's return runs under it before the chunk starts.
local function prepare(chunk, params, limit, deadline)
  debug_setupvalue(chunk, 1, make_env(params))
  local s = state
  s.count, s.ticks, s.stopped, s.limit, s.deadline = 0, 0, false, limit, deadline
  debug_sethook(hook, "", s.step)
end

local function compile(source, name)
  return load(source, name, "t", {})
end

-- Nothing trusted stays reachable through globals once setup is done.
debug = nil
package.loaded.debug = nil
python = nil
package.loaded.python = nil

return {
  state = state, hook = hook, sethook = debug_sethook, prepare = prepare, compile = compile,
}
"""
