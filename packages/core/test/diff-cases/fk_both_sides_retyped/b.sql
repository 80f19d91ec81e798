create table authors (id bigint primary key, name text);
create table books (id int primary key, author_id bigint references authors (id), title text, isbn text);
create index books_author_incl on books (author_id) include (title);
create unique index books_isbn_key on books (isbn) nulls not distinct;
create function books_guard() returns trigger language plpgsql as $$ begin return new; end $$;
create trigger books_guard before update of title on books for each row execute function books_guard();
