import { DateTime } from 'luxon'
import { BaseModel, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import User from '#models/user'

export default class Service extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare contractorId: number

  @column()
  declare title: string

  @column()
  declare description: string

  /** Minor units of `currency` */
  @column()
  declare price: number

  @column()
  declare currency: string

  @column()
  declare active: boolean

  /** Deleted by the contractor: kept for the orders that point at it, shown nowhere else */
  @column.dateTime()
  declare deletedAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => User, { foreignKey: 'contractorId' })
  declare contractor: BelongsTo<typeof User>
}
