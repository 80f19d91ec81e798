create table authors (id int primary key, name text);
create table books (id int primary key, author_id int references authors (id), title varchar(50), pages int, isbn text,
  constraint books_pages_isbn check (pages > 0 or isbn is not null));
create index books_author_incl on books (author_id) include (title);
create unique index books_isbn_key on books (isbn);
create function books_guard() returns trigger language plpgsql as $$ begin return new; end $$;
create trigger books_guard before update of title on books for each row execute function books_guard();
insert into authors values (1, 'a'); insert into books values (1, 1, 't', 10, 'x');
