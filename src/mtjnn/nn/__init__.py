"""mtjnn.nn"""
