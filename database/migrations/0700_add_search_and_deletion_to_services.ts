import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Finding services: a full-text document per service (title, contractor's
 * name, description) kept by triggers, so a contractor renaming themselves
 * is found under the new name too; an index for the price filter and one
 * for the newest-first listing. And deleting: a deleted service keeps its
 * row (orders point at it and their pages show its title), marked deleted.
 *
 * Full text rather than trigram ILIKE: one GIN index answers every word of
 * the query across the three fields (the contractor's name comes from
 * another table, which an ILIKE OR could not use an index for), words match
 * by prefix ("kitch" finds "kitchen"), and it needs no extension. 'simple'
 * (no stemming, no stop words): services are written in many languages.
 */
export default class extends BaseSchema {
  protected tableName = 'services'

  async up() {
    this.schema.alterTable(this.tableName, (table) => {
      table.specificType('search_document', 'tsvector').nullable()
      table.timestamp('deleted_at').nullable()
    })

    this.schema.raw(`
      CREATE FUNCTION services_search_document() RETURNS trigger AS $$
      BEGIN
        NEW.search_document :=
          setweight(to_tsvector('simple', coalesce(NEW.title, '')), 'A') ||
          setweight(to_tsvector('simple', coalesce(
            (SELECT full_name FROM users WHERE id = NEW.contractor_id), '')), 'B') ||
          setweight(to_tsvector('simple', coalesce(NEW.description, '')), 'C');
        RETURN NEW;
      END
      $$ LANGUAGE plpgsql
    `)
    this.schema.raw(`
      CREATE TRIGGER services_search_document
      BEFORE INSERT OR UPDATE OF title, description, contractor_id ON services
      FOR EACH ROW EXECUTE FUNCTION services_search_document()
    `)
    // A new name of the contractor reaches their services' documents
    this.schema.raw(`
      CREATE FUNCTION users_refresh_services_search() RETURNS trigger AS $$
      BEGIN
        UPDATE services SET title = title WHERE contractor_id = NEW.id;
        RETURN NULL;
      END
      $$ LANGUAGE plpgsql
    `)
    this.schema.raw(`
      CREATE TRIGGER users_refresh_services_search
      AFTER UPDATE OF full_name ON users
      FOR EACH ROW WHEN (OLD.full_name IS DISTINCT FROM NEW.full_name)
      EXECUTE FUNCTION users_refresh_services_search()
    `)
    // Existing rows get their document
    this.schema.raw('UPDATE services SET title = title')
    this.schema.raw('ALTER TABLE services ALTER COLUMN search_document SET NOT NULL')
    this.schema.raw(
      'CREATE INDEX services_search_document_index ON services USING GIN (search_document)'
    )
    this.schema.raw(
      'CREATE INDEX services_currency_price_index ON services (currency, price) ' +
        'WHERE active AND deleted_at IS NULL'
    )
    this.schema.raw(
      'CREATE INDEX services_listing_index ON services (created_at DESC, id DESC) ' +
        'WHERE active AND deleted_at IS NULL'
    )
  }

  async down() {
    this.schema.raw('DROP INDEX services_listing_index')
    this.schema.raw('DROP INDEX services_currency_price_index')
    this.schema.raw('DROP INDEX services_search_document_index')
    this.schema.raw('DROP TRIGGER users_refresh_services_search ON users')
    this.schema.raw('DROP FUNCTION users_refresh_services_search()')
    this.schema.raw('DROP TRIGGER services_search_document ON services')
    this.schema.raw('DROP FUNCTION services_search_document()')
    this.schema.alterTable(this.tableName, (table) => {
      table.dropColumn('deleted_at')
      table.dropColumn('search_document')
    })
  }
}
