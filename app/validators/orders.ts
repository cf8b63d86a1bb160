import vine from '@vinejs/vine'

export const placeOrderValidator = vine.create({
  service_id: vine.number().withoutDecimals().positive().max(2_147_483_647),
  note: vine.string().trim().maxLength(2000).optional(),
  payment_method: vine
    .string()
    .trim()
    .maxLength(64)
    .regex(/^pm_[A-Za-z0-9_]+$/)
    .optional(),
})

export const ordersPageValidator = vine.create({
  page: vine.number().withoutDecimals().positive().max(100_000).optional(),
})
