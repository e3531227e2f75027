"""mtjnn.data"""
