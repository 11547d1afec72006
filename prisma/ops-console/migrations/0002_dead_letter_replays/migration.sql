-- AlterTable
ALTER TABLE "ops_console"."dead_letter" ADD COLUMN     "state" TEXT NOT NULL DEFAULT 'open';

-- CreateTable
CREATE TABLE "ops_console"."dead_letter_replay" (
    "id" UUID NOT NULL,
    "dead_letter_id" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "by" TEXT NOT NULL,
    "justification" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "error" TEXT,

    CONSTRAINT "dead_letter_replay_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "dead_letter_replay_dead_letter_id_at_idx" ON "ops_console"."dead_letter_replay"("dead_letter_id", "at");

-- CreateIndex
CREATE INDEX "dead_letter_state_failed_at_idx" ON "ops_console"."dead_letter"("state", "failed_at");

-- AddForeignKey
ALTER TABLE "ops_console"."dead_letter_replay" ADD CONSTRAINT "dead_letter_replay_dead_letter_id_fkey" FOREIGN KEY ("dead_letter_id") REFERENCES "ops_console"."dead_letter"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The states and outcomes the dead-letter API writes (libs/messaging dead-letter-archive.ts).
ALTER TABLE "ops_console"."dead_letter" ADD CONSTRAINT "dead_letter_state_check" CHECK ("state" IN ('open', 'replayed', 'replay-failed'));
ALTER TABLE "ops_console"."dead_letter_replay" ADD CONSTRAINT "dead_letter_replay_outcome_check" CHECK ("outcome" IN ('consumed', 'failed-again'));
