import type { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { describeStripeError, isStripeError, type DescribedStripeError } from '#stripe/errors'
import { businessNow } from '#services/clock'

/*
|--------------------------------------------------------------------------
| The one way Crewpay writes to Stripe
|--------------------------------------------------------------------------
|
| 1. The caller writes the row that names the write (a payment, a capture
|    or cancel on a payment, a refund, a transfer, a reversal, a debit)
|    with status pending, and commits. Its unique constraint is what stops a
|    second capture, refund, transfer or debit.
| 2. `sendToStripe` calls Stripe with the idempotency key derived from that
|    row, holding no transaction, lock or database connection meanwhile.
| 3. Stripe's answer is recorded on the row, under a short lock, if the row
|    is still pending (another process may have recorded it already).
|
| A timeout, a 5xx or a 409 leaves the row pending: the same row sent again
| (a retry, a job, `stripe:reconcile`) carries the same key, and Stripe
| answers it once. Stripe keeps keys for a day: a row older than that (or
| one a caller marks as possibly sent) is first looked up on Stripe, and
| only sent when it is not there.
|
*/

/** Stripe forgets idempotency keys after 24 hours; look first a little before that */
export const KEY_LIFETIME_HOURS = 23

export interface StripeWrite<Row, Answer> {
  /** "capture", "refund", "transfer": for logs */
  operation: string
  /** "payment #12": for logs */
  label(row: Row): string
  key(row: Row): string
  /** The Stripe call, and any read the recording needs (made here, outside any lock) */
  send(row: Row, key: string): Promise<Answer>
  /** Looks for this write on Stripe (a request whose answer was lost); null when absent */
  find?(row: Row): Promise<Answer | null>
  /** Locks and re-reads the row in `trx`; null when it is no longer pending */
  lock(trx: TransactionClientContract, row: Row): Promise<Row | null>
  /** Records Stripe's answer on the locked row */
  record(trx: TransactionClientContract, row: Row, answer: Answer): Promise<void>
  /** Records Stripe's refusal (a 4xx or a decline): nothing happened on Stripe */
  refuse(
    trx: TransactionClientContract,
    row: Row,
    error: DescribedStripeError,
    cause: unknown
  ): Promise<void>
}

export type WriteOutcome<Row> =
  /** Stripe answered and the answer is recorded (by us or, meanwhile, by another process) */
  | { kind: 'recorded'; row: Row }
  /** Stripe refused; the refusal is recorded */
  | { kind: 'refused'; row: Row; error: DescribedStripeError; cause: unknown }
  /** No answer: the row stays pending and can be sent again with the same key */
  | { kind: 'unknown'; row: Row; error: DescribedStripeError }

interface SendOptions {
  /** The row may have been sent before (a retry): look for it on Stripe first */
  lookFirst?: boolean
  /** When the row was written (older than a key's lifetime: look first) */
  writtenAt?: DateTime
}

/** Whether Stripe's error leaves the outcome unknown (the same key may be sent again) */
function outcomeUnknown(error: unknown, described: DescribedStripeError) {
  if (described.isTransient) {
    return true
  }
  // 409: the same key is being answered for another process right now;
  // idempotency_error: the key was used with other parameters (a re-run of
  // an edited row): only a look on Stripe tells what happened
  return isStripeError(error) && (error.statusCode === 409 || error.rawType === 'idempotency_error')
}

export async function sendToStripe<Row, Answer>(
  write: StripeWrite<Row, Answer>,
  row: Row,
  options: SendOptions = {}
): Promise<WriteOutcome<Row>> {
  const key = write.key(row)
  // Stripe's day, not ours: the sandbox's clock can be ahead
  const stripeNow = await businessNow()
  const stale =
    options.writtenAt !== undefined &&
    options.writtenAt < stripeNow.minus({ hours: KEY_LIFETIME_HOURS })

  let answer: Answer | null = null
  try {
    if (write.find && (options.lookFirst || stale)) {
      answer = await write.find(row)
    }
    answer ??= await write.send(row, key)
  } catch (error) {
    const described = describeStripeError(error)
    logger.warn(
      {
        operation: write.operation,
        subject: write.label(row),
        idempotencyKey: key,
        stripeCode: described.code,
        declineCode: described.declineCode,
        stripeRequestId: described.requestId,
      },
      isStripeError(error) ? `Stripe: ${error.message}` : 'Stripe call failed'
    )
    if (!isStripeError(error)) {
      // Not Stripe's answer (a bug, a database error): nothing to record
      throw error
    }
    if (outcomeUnknown(error, described)) {
      return { kind: 'unknown', row, error: described }
    }
    const refused = await db.transaction(async (trx) => {
      const locked = await write.lock(trx, row)
      if (!locked) {
        return null
      }
      await write.refuse(trx, locked, described, error)
      return locked
    })
    if (!refused) {
      return { kind: 'recorded', row }
    }
    return { kind: 'refused', row: refused, error: described, cause: error }
  }

  const recorded = await db.transaction(async (trx) => {
    const locked = await write.lock(trx, row)
    if (!locked) {
      return null
    }
    await write.record(trx, locked, answer!)
    return locked
  })
  return { kind: 'recorded', row: recorded ?? row }
}
