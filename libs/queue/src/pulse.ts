/**
 * The gateways' pulse: evidence that heartbeats are reaching Redis at all.
 *
 * A waiting ticket is skipped as abandoned when its holder has not been heard
 * from for ABANDON_AFTER_SECONDS. That silence is evidence about the holder only
 * while the gateways are hearing from holders: if every gateway is down or taken
 * out of service, or Redis restarted empty, every ticket falls silent at once and
 * skipping them would end the whole line. So each gateway, whenever it writes
 * heartbeats, also writes the pulse hash (RedisKeys.pulse()):
 *
 *   last   epoch ms of the newest heartbeat flush, by any gateway
 *   since  epoch ms at which the pulse resumed after a gap longer than
 *          pulseGapMs (or first appeared)
 *
 * The admitter pauses the line while the pulse is silent (older than
 * pulseGapMs, or absent) and starts a holder's abandon clock no earlier than
 * `since`: a holder is abandoned only after a whole window in which the
 * gateways were listening and the holder said nothing.
 *
 * The gap is two thirds of the abandon window: a gateway that has heard from
 * any holder within the window pulses at every flush (twice a second), so only
 * a gateway that is down, cut off from Redis or hearing from nobody falls
 * silent; and the silence is seen a third of a window before a holder who
 * beat just before it could be abandoned. Gateways and admitters must share
 * ABANDON_AFTER_SECONDS (the chart sets both from one value).
 */
export const pulseGapMs = (abandonAfterSeconds: number): number =>
  Math.round((abandonAfterSeconds * 2000) / 3);

export const PULSE_FIELDS = { last: 'last', since: 'since' } as const;

/** KEYS[1]: the pulse hash; ARGV[1]: now (epoch ms), ARGV[2]: the gap. */
export const PULSE_SCRIPT = `
local now = tonumber(ARGV[1])
local last = tonumber(redis.call('HGET', KEYS[1], '${PULSE_FIELDS.last}'))
if not last or now - last > tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], '${PULSE_FIELDS.since}', now)
end
if not last or now > last then redis.call('HSET', KEYS[1], '${PULSE_FIELDS.last}', now) end
redis.call('EXPIRE', KEYS[1], 86400)
return 1`;
