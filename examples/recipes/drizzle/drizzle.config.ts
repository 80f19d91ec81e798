import { defineConfig } from 'drizzle-kit';

// db-migrate runs the build with DATABASE_URL naming an empty shadow database.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema.ts',
  out: './drizzle',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgresql://localhost/app' },
});
