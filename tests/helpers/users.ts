import User, { type Role } from '#models/user'
import UserProfile from '#models/user_profile'

let sequence = 0

/** A user with a profile, as signup makes them */
export async function createUser(
  attributes: Partial<{ email: string; password: string; fullName: string; role: Role }> = {}
) {
  sequence += 1
  const user = await User.create({
    email: attributes.email ?? `user${sequence}@example.com`,
    password: attributes.password ?? 'correct-horse-battery-9',
    fullName: attributes.fullName ?? `User ${sequence}`,
    role: attributes.role ?? 'employer',
  })
  await UserProfile.create({ userId: user.id })
  return user
}
