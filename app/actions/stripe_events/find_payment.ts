import Payment from '#models/payment'

function recordId(value: string | undefined) {
  const id = Number(value)
  return Number.isSafeInteger(id) && id > 0 ? id : null
}

/**
 * The payment a PaymentIntent belongs to: by its id, or by the payment id we
 * put in its metadata (the webhook can arrive before our own write of the
 * id); first-stage PaymentIntents carry only the order id.
 */
export async function findPaymentForIntent(
  paymentIntentId: string,
  metadata: Record<string, string> | null | undefined
) {
  const byIntent = await Payment.findBy('stripePaymentIntentId', paymentIntentId)
  if (byIntent) {
    return byIntent
  }
  const paymentId = recordId(metadata?.payment_id)
  if (paymentId) {
    const payment = await Payment.find(paymentId)
    return payment && !payment.stripePaymentIntentId ? payment : null
  }
  const orderId = recordId(metadata?.order_id)
  if (orderId) {
    return Payment.query()
      .where('orderId', orderId)
      .whereNull('stripePaymentIntentId')
      .orderBy('id', 'desc')
      .first()
  }
  return null
}

/** The payment a charge (or a dispute on it) belongs to: by charge id, else by PaymentIntent */
export async function findPaymentForCharge(
  chargeId: string,
  paymentIntent: string | { id: string } | null | undefined
) {
  const byCharge = await Payment.findBy('stripeChargeId', chargeId)
  const paymentIntentId = typeof paymentIntent === 'string' ? paymentIntent : paymentIntent?.id
  if (byCharge || !paymentIntentId) {
    return byCharge
  }
  return Payment.findBy('stripePaymentIntentId', paymentIntentId)
}
