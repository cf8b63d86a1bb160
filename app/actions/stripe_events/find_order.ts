import Order from '#models/order'

/**
 * The order a PaymentIntent belongs to: by its id, or by the order id we put
 * in its metadata (the webhook can arrive before our own write of the id).
 */
export async function findOrderForPaymentIntent(paymentIntentId: string, metadataOrderId?: string) {
  const byIntent = await Order.findBy('stripePaymentIntentId', paymentIntentId)
  if (byIntent) {
    return byIntent
  }
  const orderId = Number(metadataOrderId)
  return Number.isSafeInteger(orderId) && orderId > 0 ? Order.find(orderId) : null
}

/** The order a charge (or a dispute on it) belongs to: by charge id, else by PaymentIntent */
export async function findOrderForCharge(
  chargeId: string,
  paymentIntent: string | { id: string } | null | undefined
) {
  const byCharge = await Order.findBy('stripeChargeId', chargeId)
  const paymentIntentId = typeof paymentIntent === 'string' ? paymentIntent : paymentIntent?.id
  if (byCharge || !paymentIntentId) {
    return byCharge
  }
  return Order.findBy('stripePaymentIntentId', paymentIntentId)
}
