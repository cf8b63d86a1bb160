/**
 * Idempotency keys derived from our own records and the operation, never
 * random: a retry, a double click, a webhook racing the request or a console
 * re-run sends the same key, and Stripe answers with the first result instead
 * of charging, capturing, refunding or debiting twice.
 *
 *   idempotencyKey('order', order, 'capture')      → "order:42:<uuid>:capture"
 *   idempotencyKey('order', order, 'authorize', 2) → "order:42:<uuid>:authorize:2"
 *
 * The record's uuid is part of the key because ids restart (a recreated
 * database) while Stripe remembers keys for a day.
 */
export function idempotencyKey(
  record: string,
  subject: { id: number; reference: string },
  operation: string,
  ...qualifiers: (string | number)[]
) {
  return [record, subject.id, subject.reference, operation, ...qualifiers].join(':')
}
