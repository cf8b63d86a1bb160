import vine from '@vinejs/vine'
import { PAYMENT_METHOD_ID, PAYMENT_METHOD_ID_MAX_LENGTH } from '#actions/billing/list_cards'
import { freeText } from '#validators/text'

export const placeOrderValidator = vine.create({
  service_id: vine.number().withoutDecimals().positive().max(2_147_483_647),
  note: freeText({ min: 0, max: 2000, multiline: true }).optional(),
  payment_method: vine
    .string()
    .trim()
    .maxLength(PAYMENT_METHOD_ID_MAX_LENGTH)
    .regex(PAYMENT_METHOD_ID)
    .optional(),
  /** Rendered into the order form: the same form submitted twice is one order */
  form_token: vine.string().uuid().optional(),
})

/** A contractor may say why they decline */
export const declineValidator = vine.create({
  reason: freeText({ min: 0, max: 500, multiline: true }).optional(),
})

/** "Pay again" after a failed payment: the payment method chosen now */
export const payAgainValidator = vine.create({
  payment_method: vine
    .string()
    .trim()
    .maxLength(PAYMENT_METHOD_ID_MAX_LENGTH)
    .regex(PAYMENT_METHOD_ID)
    .optional(),
  form_token: vine.string().uuid().optional(),
})
