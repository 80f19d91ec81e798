create sequence ticket_numbers as integer start with 1000 increment by 10;
create table tickets (id int primary key, number int not null default nextval('ticket_numbers'));
