/** Postgres integer ids: anything else (too large, not a number) matches nothing */
export function isRecordId(value: unknown): value is number {
  return (
    typeof value === 'number' && Number.isSafeInteger(value) && value > 0 && value <= 2_147_483_647
  )
}
