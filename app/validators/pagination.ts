import vine from '@vinejs/vine'

const pageValidator = vine.create({
  page: vine.number().withoutDecimals().positive().max(100_000).optional(),
})

/** The ?page= of a list; anything malformed is page 1, never an error */
export async function pageOf(query: Record<string, unknown>) {
  const [error, valid] = await pageValidator.tryValidate(query)
  return error ? 1 : (valid.page ?? 1)
}
