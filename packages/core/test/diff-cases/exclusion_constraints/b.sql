create table bookings (id int primary key, room int not null, during tsrange not null,
  constraint bookings_no_overlap exclude using gist (during with &&) where (room > 0));
create table holds (id int primary key, during tsrange not null, constraint holds_no_overlap exclude using gist (during with -|-));
