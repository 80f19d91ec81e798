create table accounts (id int primary key, email text not null, handle text not null, constraint accounts_handle_key unique (handle));
create unique index accounts_email_key on accounts (lower(email));
