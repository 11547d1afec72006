-- A DFT^P03 sender that died (SIGKILL, host lost) no longer holds its claims until their lease runs out
-- (5 messages x 2 x the ACK timeout + 5 s, 105 s by default). Each sender holds a session-level advisory
-- lock for its lifetime, pg_advisory_lock(1145459792, key) in the two-key form (class 1145459792 is
-- "DFTP" in ASCII, objsubid 2 in pg_locks, apart from the one-key locks of charging and policies), and
-- records its key on every claim. Another sender takes an in-flight claim at once when no session holds
-- that key any more, except the one delivery the dead sender was sending, whose sending_until it waits
-- for (src/delivery/sender-lock.ts, delivery-sender.repository.ts).
-- claimer_lock: the key of the lock the claiming sender held. NULL for claims made before this migration
-- (those wait for their lease as before).
-- sending_until: set by the claimer, through its lock session, just before it sends the delivery: until
-- then (the database clock) the message may be on the wire, so nobody else sends it even if the lock is
-- gone.
ALTER TABLE "billing"."delivery" ADD COLUMN "claimer_lock" INTEGER,
                                 ADD COLUMN "sending_until" TIMESTAMPTZ(3);
