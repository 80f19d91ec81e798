create table users (id bigserial primary key, email text not null, nickname varchar(40));
