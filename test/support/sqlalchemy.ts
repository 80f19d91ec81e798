/**
 * SQLAlchemy sources for schema-source tests: a models module with `users` (id, email) and, with `second`,
 * a second table with an indexed user_id.
 */
export function sqlalchemyModels(
  options: { uniqueEmail?: boolean; second?: { className: string; table: string } } = {},
): string {
  let text = `from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String(200), nullable=False${options.uniqueEmail ? ', unique=True' : ''})
`;
  if (options.second) {
    text += `

class ${options.second.className}(Base):
    __tablename__ = "${options.second.table}"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, nullable=False, index=True)
`;
  }
  return text;
}

/** A build script: create_all of `module`'s Base into $DATABASE_URL; `fromRepoRoot` puts the repository root on sys.path. */
export function createAllScript(module: string, fromRepoRoot = false): string {
  const path = fromRepoRoot ? 'import sys\n\nsys.path.insert(0, os.environ["DB_MIGRATE_REPO_ROOT"])\n' : '';
  return `import os\n${path}from sqlalchemy import create_engine\nfrom ${module} import Base\n\nBase.metadata.create_all(create_engine(os.environ["DATABASE_URL"]))\n`;
}
