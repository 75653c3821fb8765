/* placeholder */ typedef int hp_placeholder_api;
