import { BaseSeeder } from '@adonisjs/lucid/seeders'
import { seedDemoMarketplace } from '#actions/demo/seed_demo_marketplace'

/** `node ace db:seed`: the demo marketplace (only into an empty database) */
export default class DemoSeeder extends BaseSeeder {
  static environment = ['development']

  async run() {
    const seeded = await seedDemoMarketplace((line) => console.log(line))
    if (!seeded) {
      console.log('The database already has users: demo data not added.')
    }
  }
}
